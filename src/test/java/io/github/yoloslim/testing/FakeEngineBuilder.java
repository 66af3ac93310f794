package io.github.yoloslim.testing;

import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.engine.Availability;
import io.github.yoloslim.engine.BuiltEngine;
import io.github.yoloslim.engine.EngineBuildException;
import io.github.yoloslim.engine.EngineBuilder;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineSpec;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.Detector;
import io.github.yoloslim.runtime.DetectorSession;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An engine builder for tests on machines without TensorRT: its "plan" names the ONNX it was built from and
 * the precision, and {@link #open} runs that ONNX in ONNX Runtime. It records every build it was asked for.
 */
public final class FakeEngineBuilder implements EngineBuilder {

    /** An H100 with TensorRT 10.15.1, as a GPU machine would report it. */
    public static final EngineEnvironment H100 = new EngineEnvironment(Availability.AVAILABLE, "", "10.15.1", "13.1",
            "580.65", "NVIDIA H100 80GB HBM3", "9.0");

    private final EngineEnvironment environment;
    private final List<EngineSpec> builds = new ArrayList<>();
    private EngineBuildException failure;

    public FakeEngineBuilder(EngineEnvironment environment) {
        this.environment = environment;
    }

    /** Makes the next builds fail with {@code exception}. */
    public FakeEngineBuilder failingWith(EngineBuildException exception) {
        this.failure = exception;
        return this;
    }

    /** The builds asked for so far. */
    public List<EngineSpec> builds() {
        return builds;
    }

    @Override
    public String name() {
        return "fake TensorRT";
    }

    @Override
    public EngineEnvironment probe() {
        return environment;
    }

    @Override
    public BuiltEngine build(EngineSpec spec, ProgressListener listener) throws EngineBuildException {
        builds.add(spec);
        if (failure != null) {
            throw failure;
        }
        String plan = "fake-plan\n" + spec.onnx().toAbsolutePath() + "\n" + spec.precision().id() + "\n"
                + spec.calibrationCache().map(bytes -> bytes.length).orElse(0);
        byte[] timingCache = ("timing " + builds.size()).getBytes(StandardCharsets.UTF_8);
        return new BuiltEngine(plan.getBytes(StandardCharsets.UTF_8), timingCache, spec.timingCache().isPresent(),
                List.of("fake warning"));
    }

    @Override
    public Detector open(FileSnapshot plan, YoloModelInfo info) throws EngineBuildException {
        try {
            Path onnx = Path.of(new String(plan.bytes(), StandardCharsets.UTF_8).split("\n")[1]);
            return DetectorSession.open(onnx, info, 1, "<candidate>");
        } catch (Exception e) {
            throw new EngineBuildException(EngineBuildException.Kind.BUILD_FAILED, "cannot open fake plan "
                    + plan.file(), List.of(e.toString()));
        }
    }
}
