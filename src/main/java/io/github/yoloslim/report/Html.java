package io.github.yoloslim.report;

import java.util.List;
import java.util.Locale;

/** Escaping and number formats for the page; every text from a report goes through {@link #text}. */
final class Html {

    /** Shown where a number is unknown. */
    static final String UNKNOWN = "—";

    private Html() {
    }

    /** {@code value} escaped for element content and attribute values. */
    static String text(String value) {
        if (value == null) {
            return UNKNOWN;
        }
        StringBuilder out = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A fraction such as mAP to 3 decimals; COCO's -1 (no ground truth) as unknown. */
    static String fraction(double value) {
        return value < 0 || Double.isNaN(value) ? UNKNOWN : String.format(Locale.ROOT, "%.3f", value);
    }

    /** A signed difference to 3 decimals. */
    static String signed(double value) {
        return String.format(Locale.ROOT, "%+.3f", value);
    }

    static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    /** A large count such as MACs in G (or M, for small models). */
    static String giga(long value) {
        return value >= 1e9 ? String.format(Locale.ROOT, "%.2f G", value / 1e9)
                : String.format(Locale.ROOT, "%.2f M", value / 1e6);
    }

    static String megabytes(long bytes) {
        return bytes >= 1e6 ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6)
                : String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
    }

    static String seconds(double seconds) {
        return seconds >= 120 ? String.format(Locale.ROOT, "%.1f min", seconds / 60)
                : String.format(Locale.ROOT, "%.1f s", seconds);
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * fraction);
    }

    /** A table; cells are HTML already (escape text with {@link #text}). */
    static String table(List<String> head, List<List<String>> rows) {
        StringBuilder out = new StringBuilder("<table><thead><tr>");
        head.forEach(cell -> out.append("<th>").append(cell).append("</th>"));
        out.append("</tr></thead><tbody>");
        for (List<String> row : rows) {
            out.append("<tr>");
            row.forEach(cell -> out.append("<td>").append(cell).append("</td>"));
            out.append("</tr>");
        }
        return out.append("</tbody></table>\n").toString();
    }

    /** A section with its heading; {@code id} is the goal's name, which links and tests find it by. */
    static String section(String id, String heading, String source, String body) {
        return "<section id=\"" + id + "\">\n<h2>" + text(heading) + " <small>" + text(source) + "</small></h2>\n"
                + body + "</section>\n";
    }
}
