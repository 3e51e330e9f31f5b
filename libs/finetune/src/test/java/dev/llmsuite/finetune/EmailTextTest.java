package dev.llmsuite.finetune;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmailTextTest {

    @Test
    void multipartHtmlQuotedPrintableAndEncodedSubject() {
        String raw = """
                From someone@example.com  Thu Aug 22 12:36:23 2002
                Received: from mail.example.com by relay
                \tfor <x@y>; Thu, 22 Aug 2002
                Subject: =?iso-8859-1?Q?Caf=E9_deals?= today
                Content-Type: multipart/alternative; boundary="XYZ"

                preamble
                --XYZ
                Content-Type: text/html; charset=iso-8859-1
                Content-Transfer-Encoding: quoted-printable

                <html><style>p{}</style><p>Buy <b>now</b> &amp; save =E9norm=
                ously!</p><script>x()</script></html>
                --XYZ--
                """;
        String clean = EmailText.clean(raw);
        assertEquals("Subject: Café deals today\nBuy now & save énormously!", clean);
        assertFalse(clean.contains("relay"), "routing headers are dropped");
    }

    @Test
    void plainPartsWinOverHtmlAndBase64IsDecoded() {
        String raw = "Subject: hi\nContent-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/plain; charset=utf-8\n"
                + "Content-Transfer-Encoding: base64\n\n" + Base64.getMimeEncoder().encodeToString("Grüße, Welt".getBytes(StandardCharsets.UTF_8))
                + "\n--b1\nContent-Type: text/html\n\n<p>ignored</p>\n--b1\nContent-Type: application/pdf\nContent-Disposition: attachment\n\nJVBERi0=\n--b1--\n";
        assertEquals("Subject: hi\nGrüße, Welt", EmailText.clean(raw));
    }

    @Test
    void everySpamAssassinMessageCleansToReadableText() throws Exception {
        Path file = Path.of(System.getProperty("suite.root", "../..")).resolve("../shared/data/classification/spam-assassin.jsonl.gz");
        Assumptions.assumeTrue(Files.exists(file), "skipped: " + file + " is absent");
        List<ClassificationExample> mails = ClassificationData.read(file);
        assertEquals(6046, mails.size());
        int empty = 0;
        for (ClassificationExample m : mails) {
            String text = EmailText.clean(m.text());
            assertTrue(text.startsWith("Subject: "), text);
            // the message's own routing header is gone (a reply may quote other headers in its body)
            String head = m.text().split("\n\n", 2)[0];
            String received = head.lines().filter(l -> l.startsWith("Received: ")).findFirst().orElse(null);
            if (received != null) assertFalse(text.contains(received.substring(10).strip()), "routing headers dropped: " + received);
            if (text.lines().count() < 2) empty++;
        }
        assertTrue(empty < mails.size() / 50, empty + " messages had no readable body");
    }
}
