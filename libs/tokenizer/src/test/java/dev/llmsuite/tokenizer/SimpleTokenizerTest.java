package dev.llmsuite.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimpleTokenizerTest {

    @Test
    void splitsLikeTheBooksRegex() {
        assertEquals(List.of("Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"),
                SimpleTokenizer.split("Hello, world. Is this-- a test?"));
        assertEquals(List.of("a-b", "--", "-c"), SimpleTokenizer.split("a-b---c")); // as Python splits it
        assertEquals(List.of("it", "'", "s"), SimpleTokenizer.split("  it's \n"));
    }

    @Test
    void theBooksVerdictVocabularyAndExample() throws Exception {
        String verdict = Files.readString(SharedData.file("corpus/the-verdict.txt"));
        SimpleTokenizer t = SimpleTokenizer.fromText(verdict);
        assertEquals(1132, t.vocabulary().size(), "1,130 tokens plus <|endoftext|> and <|unk|>, as in the book");
        String text = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.";
        int[] ids = t.encode(text);
        assertArrayEquals(new int[] {1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7}, ids);
        assertEquals("<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.", t.decode(ids));
    }

    @Test
    void decodeReattachesPunctuationAndChecksIds() {
        SimpleTokenizer t = SimpleTokenizer.fromText("\"It's the last he painted, you know,\" Mrs. Gisburn said.");
        String text = "\"It's the last he painted, you know,\" Mrs. Gisburn said.";
        assertEquals("\" It' s the last he painted, you know,\" Mrs. Gisburn said.", t.decode(t.encode(text)));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {9999}));
    }
}
