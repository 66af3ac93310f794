package io.github.yoloslim.report;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page as a real browser draws it: headless Chromium (Debian's {@code chromium}, which {@code .ci/run} installs)
 * takes a screenshot of the fixture's report.html, which must show the page's text and plots, not a blank one.
 */
class ReportBrowserTest {

    @Test
    void chromiumRendersThePageWithItsPlots() throws Exception {
        Optional<Path> chromium = onPath("chromium", "chromium-browser");
        Assumptions.assumeTrue(chromium.isPresent(), "skipped: no chromium binary on PATH (Debian: apt-get install "
                + "chromium; .ci/run installs it); the page's structure and SVG are checked by HtmlReportTest");
        Path page = ReportFixture.get().output.resolve("report.html");
        Path screenshot = page.resolveSibling("report.png");
        Files.deleteIfExists(screenshot);
        Process browser = new ProcessBuilder(chromium.get().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--window-size=1280,2400", "--screenshot=" + screenshot,
                page.toUri().toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertThat(browser.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(browser.exitValue()).isZero();
        BufferedImage image = ImageIO.read(screenshot.toFile());
        assertThat(image.getWidth()).isEqualTo(1280);
        Set<Integer> colours = new HashSet<>();
        long dark = 0;
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                if (((rgb >> 16) & 0xFF) + ((rgb >> 8) & 0xFF) + (rgb & 0xFF) < 300) {
                    dark++;
                }
            }
        }
        // Text and axes draw dark pixels; the series' colours and anti-aliasing give many more than a blank page's one.
        assertThat(colours.size()).isGreaterThan(50);
        assertThat(dark).isGreaterThan(1000);
    }

    private static Optional<Path> onPath(String... names) {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of(names)) {
                Path candidate = Path.of(directory, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
