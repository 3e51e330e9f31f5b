package dev.llmsuite.finetune;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The book's data sets, split as the book splits them (skipped without ../shared). */
class DataFilesTest {
    static final Path DATA = Path.of(System.getProperty("suite.root", "../..")).resolve("../shared/data");

    @Test
    void instructionDataSplits85_10_5() throws Exception {
        Path file = DATA.resolve("instruction/instruction-data.json");
        Assumptions.assumeTrue(Files.exists(file), "skipped: " + file + " is absent");
        List<InstructionExample> data = InstructionData.read(file);
        assertEquals(1100, data.size());
        InstructionData.Split s = InstructionData.split(data);
        assertEquals(List.of(935, 110, 55), List.of(s.train().size(), s.test().size(), s.validation().size()), "the book's 935/110/55");
        assertEquals("Ocassion", data.get(50).input());
    }

    @Test
    void smsSpamBalancesTo747EachAndSplits70_10_20() throws Exception {
        Path file = DATA.resolve("classification/sms-spam-stemmed.tsv");
        Assumptions.assumeTrue(Files.exists(file), "skipped: " + file + " is absent");
        List<ClassificationExample> data = ClassificationData.read(file);
        assertEquals(5571, data.size());
        List<ClassificationExample> balanced = ClassificationData.balance(data, 123);
        assertEquals(747, balanced.stream().filter(e -> e.label().equals("spam")).count());
        assertEquals(747, balanced.stream().filter(e -> e.label().equals("ham")).count());
        ClassificationData.Split s = ClassificationData.split(balanced, 0.7, 0.1, 123);
        assertEquals(List.of(1045, 149, 300), List.of(s.train().size(), s.validation().size(), s.test().size()), "the book's 1045/149/300");
    }

    @Test
    void theLeftOutTextsAreTheSurplusMinusAnyHeldOutText() {
        var a = new ClassificationExample("a", "ham");
        var b = new ClassificationExample("b", "ham");
        var c = new ClassificationExample("c", "ham");
        var dupOfTest = new ClassificationExample("t", "ham");
        var test = new ClassificationExample("t", "spam");
        var s = new ClassificationExample("s", "spam");
        List<ClassificationExample> all = List.of(a, b, c, dupOfTest, test, s);
        List<ClassificationExample> balanced = List.of(a, test, s, c);
        // b is the surplus; dupOfTest is surplus too but its text is a held-out text, so it stays out
        assertEquals(List.of(b), ClassificationData.leftOut(all, balanced, List.of(test)));
        // an equal record in the balanced list does not hide a distinct one left out (identity, not equality)
        var aAgain = new ClassificationExample("a", "ham");
        assertEquals(List.of(aAgain), ClassificationData.leftOut(List.of(a, aAgain), List.of(a), List.of()));
    }

    @Test
    void paddingToTheLongestOrAGivenLength() {
        int[][] p = ClassificationData.pad(List.of(new int[] {1, 2, 3}, new int[] {4}), null);
        assertEquals(List.of(1, 2, 3, 4, 50256, 50256), Arrays.stream(p).flatMapToInt(Arrays::stream).boxed().toList());
        int[][] q = ClassificationData.pad(List.of(new int[] {1, 2, 3}, new int[] {4}), 2);
        assertEquals(List.of(1, 2, 4, 50256), Arrays.stream(q).flatMapToInt(Arrays::stream).boxed().toList());
    }
}
