package dev.llmsuite.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Generated text that stresses pre-tokenization and merging: scripts, emoji, marks, spaces, digits. */
final class HardCases {
    private HardCases() {}

    static final List<String> FIXED = List.of(
            "", " ", "  ", "\n", "\n\n\n", " \n ", "\t\t x", "a  b", "a \n b", "hello   world  ",
            "trailing whitespace   ", "   leading", "\r\n\r\nwindows\r\n",
            "I'm you're he's we've they'll she'd it's", "I'M YOU'RE HE'S WE'VE THEY'LL SHE'D",
            "I'm You'Re He'S We'Ve They'lL", "'s 's's '''s 'sup 'S", "don't won't can't shan't",
            "12345 1234567890123 3.14159 1,000,000 -42 +7 0x1F 2nd 10th",
            "٣٤٥ ४५६ ๑๒๓ Ⅻ ½ ² ³ ⑴", "Здравствуй, мир! Привет.", "Γειά σου Κόσμε", "שלום עולם", "مرحبا بالعالم",
            "こんにちは世界、元気ですか？", "你好，世界！我是模型。", "안녕하세요 세계", "नमस्ते दुनिया", "สวัสดีชาวโลก",
            "👋🌍 👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇫🇷🇩🇪", "e\u0301 a\u0308 n\u0303 \u0915\u093f", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
            "<|endoftext|>", "a<|endoftext|>b", "<|endoftext", "endoftext|>", "<||>",
            "\u00a0nbsp\u00a0\u00a0x", "\u2003em\u2009thin\u202fnarrow\u3000ideo", "\u0085next\u2028line\u2029para",
            "\u001c\u001d\u001e\u001f", "\u200b\u200c\u200d\ufeff", "\u0000\u0001\u007f",
            "mixed123abc!!!???...", "  !!!  ???", "$$$ %%% ^^^ &&& ***", "snake_case camelCase kebab-case",
            "http://example.com/path?q=1&r=2#frag", "email@example.com", "C:\\Windows\\System32",
            "{\"json\": [1, 2, 3], \"k\": null}", "def f(x):\n    return x ** 2\n", "  \t  \n\t\n  code",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 𝟙𝟚𝟛", "ǅ ǈ ǋ ǲ", "ﬁ ﬂ ﬀ", "ⅰⅱⅲ", "ªº", "ʰʲʷ", "〇一二三");

    /** Random strings drawn from a pool of tricky characters and fragments. */
    static List<String> random(long seed, int count, int maxLen) {
        String[] pool = {
            " ", "  ", "\n", "\t", "\r\n", "\u00a0", "\u3000", "\u2009", "a", "Z", "é", "ß", "Ж", "λ", "ا", "ש", "中", "あ",
            "한", "ก", "\u0301", "\u0308", "1", "9", "٣", "½", "Ⅻ", "!", "?", ".", ",", "'", "\"", "-", "_", "@",
            "#", "$", "'s", "'t", "'ll", "'ve", "'re", "'m", "'d", "'S", "'LL", "😀", "👍🏽", "👨‍👩‍👧", "🇫🇷",
            "\u200d", "\ufe0f", "𝔘", "<|endoftext|>", "the", " the", "ing", "tion", "12", "000", "..."};
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + r.nextInt(maxLen);
            for (int k = 0; k < n; k++) sb.append(pool[r.nextInt(pool.length)]);
            out.add(sb.toString());
        }
        return out;
    }

    /** Random code points from all planes (valid scalar values only). */
    static List<String> randomCodePoints(long seed, int count, int maxLen) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + r.nextInt(maxLen);
            for (int k = 0; k < n; k++) {
                int cp;
                do {
                    cp = r.nextInt(4) == 0 ? r.nextInt(0x80) : r.nextInt(0x30000);
                } while (cp >= 0xD800 && cp <= 0xDFFF);
                sb.appendCodePoint(cp);
            }
            out.add(sb.toString());
        }
        return out;
    }
}
