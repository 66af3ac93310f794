package io.github.yoloslim.cache;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one stage's outputs depend on, in canonical form: the content hashes of what it reads and the settings that
 * shape its results, each under an explicit name. The fingerprint is the SHA-256 of this as JSON with sorted keys,
 * so it is the same in every JVM and on every machine: values are strings, integers, doubles, booleans or lists;
 * sets are sorted; enums are written by their configuration names. Resource settings (threads, batch sizes that do
 * not change results) and absolute paths never go in: they would make a copied project or another machine
 * recompute what it already has.
 */
public final class StageKey {

    private final PipelineStage stage;
    private final SortedMap<String, String> inputs = new TreeMap<>();
    private final SortedMap<String, Object> parameters = new TreeMap<>();

    private StageKey(PipelineStage stage) {
        this.stage = stage;
    }

    /** A key for {@code stage} with nothing in it yet. */
    public static StageKey of(PipelineStage stage) {
        return new StageKey(stage);
    }

    /** Adds the content hash of something the stage reads ({@code model}, {@code calibrationImages}, ...). */
    public StageKey input(String name, String sha256) {
        put(inputs, name, sha256);
        return this;
    }

    public StageKey parameter(String name, String value) {
        put(parameters, name, value);
        return this;
    }

    public StageKey parameter(String name, long value) {
        put(parameters, name, value);
        return this;
    }

    public StageKey parameter(String name, double value) {
        put(parameters, name, value);
        return this;
    }

    public StageKey parameter(String name, boolean value) {
        put(parameters, name, value);
        return this;
    }

    /** An enum by its configuration name: {@code BN_GAMMA} as {@code bn-gamma}. */
    public StageKey parameter(String name, Enum<?> value) {
        put(parameters, name, configName(value));
        return this;
    }

    /** A list whose order matters (class names in index order). */
    public StageKey parameter(String name, List<String> values) {
        put(parameters, name, List.copyOf(values));
        return this;
    }

    /** A set of names, sorted so that insertion order cannot change the key. */
    public StageKey names(String name, Collection<String> values) {
        put(parameters, name, new ArrayList<>(new TreeSet<>(values)));
        return this;
    }

    /** The stage this key is for. */
    public PipelineStage stage() {
        return stage;
    }

    /** The inputs' hashes by name, sorted. */
    public Map<String, String> inputs() {
        return Collections.unmodifiableSortedMap(inputs);
    }

    /** The parameters by name, sorted, with their canonical values. */
    public Map<String, Object> parameters() {
        return Collections.unmodifiableSortedMap(parameters);
    }

    /** The SHA-256 of the stage, plugin version, inputs and parameters. */
    public String fingerprint() {
        Map<String, Object> canonical = new LinkedHashMap<>();
        canonical.put("stage", stage.key());
        canonical.put("plugin", PluginVersion.get());
        canonical.put("inputs", inputs);
        canonical.put("parameters", parameters);
        try {
            return Sha256.ofBytes(Json.mapper().writeValueAsBytes(canonical));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stage key holds only JSON values", e);
        }
    }

    /** {@code BN_GAMMA} as {@code bn-gamma}: how configuration spells enum constants. */
    public static String configName(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static <V> void put(Map<String, V> map, String name, V value) {
        if (map.putIfAbsent(name, value) != null) {
            throw new IllegalArgumentException("'" + name + "' is in the key twice");
        }
    }
}
