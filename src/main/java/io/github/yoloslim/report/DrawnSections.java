package io.github.yoloslim.report;

import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sections of the page that are drawn from one stage report each, kept in the page between rebuilds: each is
 * marked with the hash of its report and the plugin version, and a rebuild takes it from the previous page when
 * that hash is unchanged. A goal that changes one report (or only {@code pipeline.json}, like a skipped engine or
 * the DJL archive) then draws only what changed, not every plot again.
 */
final class DrawnSections {

    private static final Pattern MARKED = Pattern.compile(
            "<!--yolo-slim-section (\\S+) (\\p{XDigit}{64})-->\n(.*?)<!--/yolo-slim-section \\1-->\n", Pattern.DOTALL);

    private final Map<String, String> previous = new HashMap<>();
    private int reused;
    private int drawn;

    /** The sections {@code previousPage} holds; an empty or foreign page holds none. */
    DrawnSections(String previousPage) {
        Matcher matcher = MARKED.matcher(previousPage);
        while (matcher.find()) {
            previous.put(matcher.group(1) + " " + matcher.group(2), matcher.group(3));
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
        return "<!--yolo-slim-section " + id + " " + key + "-->\n" + html + "<!--/yolo-slim-section " + id + "-->\n";
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
