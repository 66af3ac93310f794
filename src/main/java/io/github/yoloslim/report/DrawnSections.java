package io.github.yoloslim.report;

import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The sections of the page that are drawn from one stage report each, kept in the page between rebuilds: each is
 * marked with the hash of its report and the plugin version, and a rebuild takes it from the previous page when
 * that hash is unchanged. A goal that changes one report (or only {@code pipeline.json}, like a skipped engine or
 * the DJL archive) then draws only what changed, not every plot again.
 */
final class DrawnSections {

    private static final String OPEN = "<!--yolo-slim-section ";
    private static final String CLOSE = "<!--/yolo-slim-section ";
    private static final String END = "-->\n";

    private final Map<String, String> previous = new HashMap<>();
    private int reused;
    private int drawn;

    /** The sections {@code previousPage} holds; an empty or foreign page holds none. */
    DrawnSections(String previousPage) {
        int at = previousPage.indexOf(OPEN);
        while (at >= 0) {
            int headEnd = previousPage.indexOf(END, at);
            if (headEnd < 0) {
                break;
            }
            String[] idAndKey = previousPage.substring(at + OPEN.length(), headEnd).split(" ");
            int bodyStart = headEnd + END.length();
            int close = idAndKey.length == 2 ? previousPage.indexOf(CLOSE + idAndKey[0] + END, bodyStart) : -1;
            if (close < 0) {
                at = previousPage.indexOf(OPEN, bodyStart);
                continue;
            }
            previous.put(idAndKey[0] + " " + idAndKey[1], previousPage.substring(bodyStart, close));
            at = previousPage.indexOf(OPEN, close);
        }
    }

    /**
     * The section {@code id} drawn from {@code report}: the previous page's when it was drawn from the same bytes
     * by the same plugin version, else {@code draw} with charts of its own.
     */
    String section(String id, Path report, Function<Charts, String> draw) throws IOException {
        String key = Sha256.builder().add("plugin", PluginVersion.get()).add("section", id)
                .add("path", report.toAbsolutePath().normalize()).addFile(report).hex();
        String html = previous.get(id + " " + key);
        if (html != null) {
            reused++;
        } else {
            html = draw.apply(new Charts(id));
            drawn++;
        }
        return OPEN + id + " " + key + END + html + CLOSE + id + END;
    }

    /** How many sections came from the previous page. */
    int reused() {
        return reused;
    }

    /** How many sections were drawn anew. */
    int drawn() {
        return drawn;
    }
}
