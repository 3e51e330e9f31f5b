package dev.llmsuite.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The one preparation the CLI and trainer jobs share: balance, split 70/10/20, encode, left-out texts. */
class PreparedClassificationTest {
    /** One id per character: the test can read a text back from its ids. */
    static final Function<String, int[]> CHARS = s -> s.chars().toArray();

    static List<ClassificationExample> data(int hams, int spams) {
        List<ClassificationExample> out = new ArrayList<>();
        for (int i = 0; i < hams; i++) out.add(new ClassificationExample("h" + i, "ham"));
        for (int i = 0; i < spams; i++) out.add(new ClassificationExample("s" + i, "spam"));
        return out;
    }

    static String text(ClassifierTraining.Example e) {
        return new String(e.ids(), 0, e.ids().length);
    }

    @Test
    void balancedSplitEncodedAndTheSurplusLeftOutForAdaptationOnly() {
        var p = PreparedClassification.prepare(data(70, 30), false, true, 123, CHARS, 1000);
        assertEquals(List.of("ham", "spam"), p.labels());
        assertEquals(100, p.texts());
        assertEquals(60, p.balanced());
        assertEquals(List.of(42, 6, 12), List.of(p.train().size(), p.validation().size(), p.test().size()));
        assertEquals(30, p.train().stream().filter(e -> e.label() == 1).count() + p.validation().stream().filter(e -> e.label() == 1).count()
                + p.test().stream().filter(e -> e.label() == 1).count(), "every spam text is used");
        // the 40 hams the balancing dropped, none of them in a split
        assertEquals(40, p.leftOut().size());
        Set<String> inSplits = new HashSet<>();
        for (var list : List.of(p.train(), p.validation(), p.test())) for (var e : list) inSplits.add(text(e));
        for (var e : p.leftOut()) assertTrue(!inSplits.contains(text(e)) && text(e).startsWith("h"), text(e));
        // adaptation reads the training split, then the left-out texts: never a validation or test text
        List<int[]> texts = p.adaptationTexts();
        assertEquals(82, texts.size());
        for (int i = 0; i < 42; i++) assertArrayEquals(p.train().get(i).ids(), texts.get(i));
        for (int i = 0; i < 40; i++) assertArrayEquals(p.leftOut().get(i).ids(), texts.get(42 + i));

        var without = PreparedClassification.prepare(data(70, 30), false, false, 123, CHARS, 1000);
        assertEquals(List.of(), without.leftOut());
        assertEquals(p.train().stream().map(PreparedClassificationTest::text).toList(),
                without.train().stream().map(PreparedClassificationTest::text).toList(), "asking for left-out texts changes no split");
    }

    @Test
    void textsAreCutToMaxLengthAndEmailsCleanedWhenAsked() {
        List<ClassificationExample> mails = List.of(
                new ClassificationExample("Subject: hello there\n\nbody text", "ham"),
                new ClassificationExample("Subject: win\n\nmoney now", "spam"));
        var cut = PreparedClassification.prepare(mails, false, false, 1, CHARS, 5);
        for (var list : List.of(cut.train(), cut.validation(), cut.test())) for (var e : list) assertTrue(e.ids().length <= 5);
        var raw = PreparedClassification.prepare(mails, false, false, 1, CHARS, 1000);
        var cleaned = PreparedClassification.prepare(mails, true, false, 1, CHARS, 1000);
        List<String> expected = new ArrayList<>();
        for (var e : raw.test()) expected.add(EmailText.clean(text(e)));
        assertEquals(expected, cleaned.test().stream().map(PreparedClassificationTest::text).toList());
        assertNotEquals(raw.test().stream().map(PreparedClassificationTest::text).toList(), expected, "cleaning changes these texts");
    }

    @Test
    void oneLabelIsRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PreparedClassification.prepare(data(5, 0), false, false, 1, CHARS, 10));
        assertTrue(e.getMessage().contains("at least two labels"), e.getMessage());
    }
}
