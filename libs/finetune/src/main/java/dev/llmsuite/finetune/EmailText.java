package dev.llmsuite.finetune;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a classifier sees of a raw e-mail (headers, MIME parts, encodings, HTML): "Subject: …" and the
 * readable body. Routing headers (Received, Message-Id, addresses, dates) are dropped: they identify the
 * corpus's mail servers and years, not spam. The body is the text/plain parts, or the text of the HTML
 * parts when there is no plain one, decoded from base64 or quoted-printable in their charset, with tags,
 * scripts and styles removed, entities decoded and whitespace collapsed. Attachments are left out.
 */
public final class EmailText {
    private static final Pattern ENCODED_WORD = Pattern.compile("=\\?([^?]+)\\?([bBqQ])\\?([^?]*)\\?=");
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?", Pattern.CASE_INSENSITIVE);
    private static final Pattern CHARSET = Pattern.compile("charset=\"?([^\";\\s]+)\"?", Pattern.CASE_INSENSITIVE);

    private EmailText() {}

    public static String clean(String raw) {
        Part msg = Part.parse(raw);
        String subject = decodeWords(msg.headers.getOrDefault("subject", "")).strip();
        List<String> plain = new ArrayList<>(), html = new ArrayList<>();
        collect(msg, plain, html);
        String body = !plain.isEmpty() ? String.join("\n", plain) : htmlToText(String.join("\n", html));
        return ("Subject: " + subject + "\n" + collapse(body)).strip();
    }

    /** A message or MIME part: its headers (lower-case names, unfolded) and raw body. */
    private record Part(Map<String, String> headers, String body) {
        static Part parse(String raw) {
            String text = raw.replace("\r\n", "\n");
            if (text.startsWith("From ")) text = text.substring(text.indexOf('\n') + 1); // the mbox separator line
            int end = text.indexOf("\n\n");
            String head = end < 0 ? text : text.substring(0, end), body = end < 0 ? "" : text.substring(end + 2);
            Map<String, String> headers = new LinkedHashMap<>();
            String name = null;
            for (String line : head.split("\n")) {
                if ((line.startsWith(" ") || line.startsWith("\t")) && name != null) {
                    headers.merge(name, " " + line.strip(), String::concat);
                } else if (line.indexOf(':') > 0) {
                    name = line.substring(0, line.indexOf(':')).strip().toLowerCase(Locale.ROOT);
                    headers.putIfAbsent(name, line.substring(line.indexOf(':') + 1).strip());
                }
            }
            return new Part(headers, body);
        }

        String type() {
            return headers.getOrDefault("content-type", "text/plain").toLowerCase(Locale.ROOT);
        }
    }

    private static void collect(Part p, List<String> plain, List<String> html) {
        String type = p.type();
        if (type.startsWith("multipart/")) {
            Matcher m = BOUNDARY.matcher(p.headers().get("content-type"));
            if (!m.find()) {
                plain.add(p.body());
                return;
            }
            String boundary = "--" + m.group(1);
            String[] pieces = p.body().split(Pattern.quote(boundary));
            for (int i = 1; i < pieces.length; i++) {
                String piece = pieces[i];
                if (piece.startsWith("--")) break; // the closing boundary
                collect(Part.parse(piece.startsWith("\n") ? piece.substring(1) : piece), plain, html);
            }
            return;
        }
        if (p.headers().getOrDefault("content-disposition", "").toLowerCase(Locale.ROOT).startsWith("attachment")) return;
        if (type.startsWith("text/plain")) plain.add(decodeBody(p));
        else if (type.startsWith("text/html")) html.add(decodeBody(p));
        else if (type.startsWith("message/rfc822")) collect(Part.parse(p.body()), plain, html);
    }

    private static String decodeBody(Part p) {
        String encoding = p.headers().getOrDefault("content-transfer-encoding", "").toLowerCase(Locale.ROOT).strip();
        Matcher cs = CHARSET.matcher(p.headers().getOrDefault("content-type", ""));
        Charset charset = StandardCharsets.ISO_8859_1;
        if (cs.find()) {
            try {
                charset = Charset.forName(cs.group(1));
            } catch (RuntimeException unknown) {
                // an unknown or misspelled charset: read the bytes as Latin-1
            }
        }
        byte[] bytes;
        if (encoding.equals("base64")) {
            try {
                bytes = Base64.getMimeDecoder().decode(p.body().replaceAll("[^A-Za-z0-9+/=\\n]", ""));
            } catch (IllegalArgumentException e) {
                bytes = p.body().getBytes(StandardCharsets.ISO_8859_1);
            }
        } else if (encoding.equals("quoted-printable")) {
            bytes = quotedPrintable(p.body());
        } else {
            bytes = p.body().getBytes(StandardCharsets.ISO_8859_1);
            charset = StandardCharsets.ISO_8859_1;
        }
        return new String(bytes, charset);
    }

    static byte[] quotedPrintable(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '=' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                i++; // a soft line break
            } else if (ch == '=' && i + 2 < s.length() && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2))) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(ch & 0xFF);
            }
        }
        return out.toByteArray();
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    /** RFC 2047 encoded words in headers, e.g. =?utf-8?B?...?=. */
    static String decodeWords(String header) {
        Matcher m = ENCODED_WORD.matcher(header);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String decoded;
            try {
                Charset cs = Charset.forName(m.group(1));
                byte[] bytes = m.group(2).equalsIgnoreCase("B") ? Base64.getDecoder().decode(m.group(3))
                        : quotedPrintable(m.group(3).replace('_', ' '));
                decoded = new String(bytes, cs);
            } catch (RuntimeException e) {
                decoded = m.group(0);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(decoded));
        }
        m.appendTail(out);
        return out.toString();
    }

    static String htmlToText(String html) {
        String s = html.replaceAll("(?is)<(script|style)[^>]*>.*?</\\1>", " ")
                .replaceAll("(?is)<!--.*?-->", " ")
                .replaceAll("(?i)<br\\s*/?>|</p>|</div>|</tr>|</li>", "\n")
                .replaceAll("(?s)<[^>]*>", " ");
        return decodeEntities(s);
    }

    private static String decodeEntities(String s) {
        Matcher m = Pattern.compile("&(#x?[0-9a-fA-F]+|[a-zA-Z]+);").matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String e = m.group(1), r;
            try {
                r = switch (e.toLowerCase(Locale.ROOT)) {
                    case "amp" -> "&";
                    case "lt" -> "<";
                    case "gt" -> ">";
                    case "quot" -> "\"";
                    case "apos" -> "'";
                    case "nbsp" -> " ";
                    default -> e.startsWith("#x") || e.startsWith("#X") ? Character.toString(Integer.parseInt(e.substring(2), 16))
                            : e.startsWith("#") ? Character.toString(Integer.parseInt(e.substring(1))) : m.group(0);
                };
            } catch (IllegalArgumentException bad) {
                r = m.group(0);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(r));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String collapse(String s) {
        return s.replaceAll("[ \\t\\x0B\\f\\u00A0]+", " ").replaceAll(" *\\n[\\s]*", "\n").strip();
    }
}
