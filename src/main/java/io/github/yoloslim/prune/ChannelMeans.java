package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.LetterboxFeed;
import io.github.yoloslim.data.LetterboxFeed.Item;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.TappedSession;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mean of every channel of some activations over calibration images: the value a removed channel most
 * often contributes, which its consumers absorb into their bias. Memory holds one batch of activations and a
 * sum per channel.
 */
final class ChannelMeans {

    private ChannelMeans() {
    }

    /** Per tensor, the mean of each channel over all images and positions; unreadable images are skipped. */
    static Map<String, double[]> measure(OnnxModel model, YoloModelInfo info, List<String> tensors, List<Path> images,
            int threads, ProgressListener listener) throws IOException, OrtException {
        Map<String, double[]> sums = new LinkedHashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        int used = 0;
        try (TappedSession session = TappedSession.open(model, info, new ArrayList<>(tensors), threads);
                LetterboxFeed<Path> feed = new LetterboxFeed<>(images, path -> path,
                        new Letterbox(info.inputHeight(), info.inputWidth()), 2)) {
            while (feed.hasNext()) {
                Item<Path> item = feed.next();
                if (item.error() != null) {
                    listener.warn("Skipping unreadable calibration image: " + item.error().getMessage());
                    continue;
                }
                used++;
                session.run(item.pixels(), 1, (tensor, values) -> {
                    long[] shape = session.shape(tensor);
                    int channels = (int) shape[1];
                    int plane = values.remaining() / channels;
                    double[] sum = sums.computeIfAbsent(tensor, k -> new double[channels]);
                    for (int c = 0; c < channels; c++) {
                        sum[c] += planeSum(values, c * plane, plane);
                    }
                    counts.merge(tensor, (long) plane, Long::sum);
                });
            }
        }
        if (used == 0) {
            throw new InvalidInputException("none of the " + images.size()
                    + " calibration images could be read. Point <calibrationImages> at a folder of JPEG or PNG images.");
        }
        Map<String, double[]> means = new LinkedHashMap<>();
        sums.forEach((tensor, sum) -> {
            double[] mean = new double[sum.length];
            long perChannel = counts.get(tensor);
            for (int c = 0; c < sum.length; c++) {
                mean[c] = sum[c] / perChannel;
            }
            means.put(tensor, mean);
        });
        return means;
    }

    private static double planeSum(FloatBuffer values, int from, int length) {
        double sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += values.get(i);
        }
        return sum;
    }
}
