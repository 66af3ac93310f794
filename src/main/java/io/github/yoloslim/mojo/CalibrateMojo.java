package io.github.yoloslim.mojo;

import io.github.yoloslim.calibrate.CalibrateRequest;
import io.github.yoloslim.calibrate.CalibrationResult;
import io.github.yoloslim.calibrate.Calibrator;
import io.github.yoloslim.calibrate.RangeMethod;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.quantize.Int8Encoding;
import io.github.yoloslim.quantize.QdqFormat;
import io.github.yoloslim.quantize.QdqOptions;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Quantizes the model to INT8 on the CPU: measures activation ranges on calibration images and writes
 * {@code <name>.int8.onnx} (explicit Q/DQ: per-channel INT8 weights, per-tensor INT8 activations), TensorRT's
 * {@code calibration.cache} and {@code calibration.json}. Bound to {@code process-classes}: after the
 * project's classes, before {@code package} builds engines from the result; a rerun with nothing changed is
 * up to date and runs no inference.
 */
@Mojo(name = "calibrate", defaultPhase = LifecyclePhase.PROCESS_CLASSES, threadSafe = true)
public class CalibrateMojo extends AbstractImageMojo {

    /** Skips this goal only. */
    @Parameter(property = "yoloslim.calibrate.skip", defaultValue = "false")
    boolean skipCalibrate;

    /**
     * The float model to quantize: a path, or {@code auto} for the newest earlier pipeline output (the pruned
     * model), else {@code model}.
     */
    @Parameter(property = "yoloslim.calibrate.input", defaultValue = "auto")
    String calibrationInput;

    /**
     * A folder of representative images (searched recursively; a COCO images folder or a YOLO dataset root
     * will do). Use images the model will see in production, not the evaluation set.
     */
    @Parameter(property = "yoloslim.calibrationImages", defaultValue = "${project.basedir}/src/test/yolo/calibration")
    File calibrationImages;

    /** Calibrate on at most this many of {@code calibrationImages}, spread evenly over the sorted folder; 0 uses all. */
    @Parameter(property = "yoloslim.calibrate.maxCalibrationImages", defaultValue = "500")
    int maxCalibrationImages;

    /**
     * How each activation's INT8 range is chosen: {@code mse} (per tensor, the least quantization error; the most
     * accurate on YOLOv8), {@code entropy} (TensorRT's KL divergence), {@code minmax} or {@code percentile}.
     */
    @Parameter(property = "yoloslim.calibrate.method", defaultValue = "mse")
    String method;

    /** The percentile of |x| that {@code percentile} keeps in range. */
    @Parameter(property = "yoloslim.calibrate.percentile", defaultValue = "99.99")
    double percentile;

    /**
     * The Q/DQ layout: {@code tensorrt} (Q/DQ on Conv inputs, for TensorRT's explicit INT8) or {@code ort} (also
     * on Conv outputs with INT32 bias, so ONNX Runtime runs INT8 kernels on the CPU).
     */
    @Parameter(property = "yoloslim.calibrate.qdqFormat", defaultValue = "tensorrt")
    String qdqFormat;

    /**
     * How activations and weights are stored: {@code auto} ({@code s8s8} for {@code tensorrt}, {@code u8s8-7bit}
     * for {@code ort}), or for {@code ort}: {@code u8s8-7bit} (7-bit weights, exact on every x86-64 CPU),
     * {@code u8u8} (UINT8 weights, exact everywhere, slower) or {@code u8s8-vnni} (full 8-bit weights: only for
     * CPUs with VNNI, {@code avx512_vnni}/{@code avx_vnni}, or ARM; on AVX2-only CPUs its Convs saturate and mAP
     * collapses).
     */
    @Parameter(property = "yoloslim.calibrate.int8Encoding", defaultValue = "auto")
    String int8Encoding;

    /** Node names to keep in float. */
    @Parameter(property = "yoloslim.calibrate.excludeNodes")
    List<String> excludeNodes = List.of();

    /** Operator types to keep in float, e.g. {@code Concat}. */
    @Parameter(property = "yoloslim.calibrate.excludeOpTypes")
    List<String> excludeOpTypes = List.of();

    /** The TensorRT version named in {@code calibration.cache}'s header. */
    @Parameter(property = "yoloslim.calibrate.tensorRtVersion", defaultValue = "10.15.1")
    String tensorRtVersion;

    /** The square input size to run at; 0 takes it from the model. */
    @Parameter(property = "yoloslim.imageSize", defaultValue = "0")
    int imageSize;

    @Override
    String goal() {
        return "calibrate";
    }

    @Override
    boolean goalSkipped() {
        return skipCalibrate;
    }

    @Override
    String goalSkipProperty() {
        return "yoloslim.calibrate.skip";
    }

    @Override
    void run(ProgressListener listener) throws Exception {
        CalibrationResult result = new Calibrator(listener).run(request());
        getLog().debug("calibrate: " + result);
    }

    CalibrateRequest request() {
        QdqFormat format = QdqFormat.parse(qdqFormat, "qdqFormat");
        QdqOptions qdq = new QdqOptions(format, Int8Encoding.parse(int8Encoding, format, "int8Encoding"),
                names(excludeNodes), names(excludeOpTypes));
        return new CalibrateRequest(model.toPath().normalize(), optionalPath(calibrationInput, "auto"),
                calibrationImages.toPath().normalize(), maxCalibrationImages, RangeMethod.parse(method, "method"), percentile,
                qdq, tensorRtVersion, new ModelOverrides(imageSize, List.of()), threads, batchSize,
                unreadableImages(), outputDirectory.toPath());
    }

    private static Set<String> names(List<String> values) {
        return values == null ? Set.of() : new TreeSet<>(values);
    }
}
