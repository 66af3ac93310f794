package io.github.yoloslim.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The plugin's own version, part of every fingerprint so that a new plugin redoes cached work. */
public final class PluginVersion {

    private static final String VERSION = load();

    private PluginVersion() {
    }

    /** The version this build of the plugin was made with, e.g. {@code 0.1.0}. */
    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = PluginVersion.class.getResourceAsStream("yolo-slim.properties")) {
            if (in == null) {
                throw new IllegalStateException("yolo-slim.properties is missing from the plugin jar");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
