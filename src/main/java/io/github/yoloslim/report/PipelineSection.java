package io.github.yoloslim.report;

import io.github.yoloslim.cache.PipelineRecord.Check;
import io.github.yoloslim.cache.PipelineRecord.Freshness;
import io.github.yoloslim.cache.PipelineRecord.StageOutput;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.prune.ModelCost;
import io.github.yoloslim.report.ReportState.GoalRun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pipeline as a row of stages, from {@code <model>} to the last output: each model's parameters, MACs, file size,
 * mAP where verify-map (or prune's search) measured it, and the time its goal took to make it.
 */
final class PipelineSection {

    private final ReportSources sources;
    private final ModelCosts costs;
    private final String modelSha256;
    private final Map<String, Measured> maps = new HashMap<>();

    private record Measured(double map, String source) {
    }

    private record Card(String stage, String file, String sha256, Optional<ModelCost> cost, long bytes, Measured map,
            String time, String note) {
    }

    PipelineSection(ReportSources sources, ModelCosts costs, String modelSha256) {
        this.sources = sources;
        this.costs = costs;
        this.modelSha256 = modelSha256;
        sources.mapGate.ifPresent(gate -> {
            maps.put(gate.candidate().evaluation().sha256(), new Measured(gate.candidate().evaluation().stats().ap(),
                    "verify-map candidate"));
            maps.put(gate.baseline().evaluation().sha256(), new Measured(gate.baseline().evaluation().stats().ap(),
                    "verify-map baseline"));
        });
    }

    String html() throws IOException {
        List<Card> cards = new ArrayList<>();
        Optional<ModelCost> modelCost = modelSha256 == null ? Optional.empty()
                : costs.of(modelSha256, sources.model);
        cards.add(new Card("model", sources.model.getFileName().toString(), modelSha256, modelCost,
                size(sources.model), modelMap(), "", modelSha256 == null ? "missing" : ""));
        for (PipelineStage stage : PipelineStage.values()) {
            Optional<StageOutput> recorded = sources.pipeline.entry(stage);
            if (recorded.isEmpty()) {
                continue;
            }
            StageOutput entry = recorded.get();
            Path file = sources.directory.resolve(entry.file());
            String note = "";
            if (modelSha256 != null) {
                Optional<Check> check = sources.pipeline.check(stage, sources.directory, modelSha256);
                if (check.isPresent() && check.get().freshness() != Freshness.CURRENT) {
                    note = check.get().freshness().description();
                }
            }
            GoalRun run = sources.state.goals().get(stage.key());
            String time = run != null && entry.sha256() != null && entry.sha256().equals(run.output())
                    ? Html.seconds(run.seconds()) : "";
            cards.add(new Card(stage.key(), entry.file(), entry.sha256(), costs.of(stage, entry), size(file),
                    stageMap(stage, entry), time, note));
        }
        sources.mapGate.ifPresent(gate -> {
            ModelEvaluation candidate = gate.candidate().evaluation();
            if (cards.stream().noneMatch(card -> candidate.sha256().equals(card.sha256()))) {
                Path file = Path.of(candidate.model());
                cards.add(new Card("candidate", file.getFileName().toString(), candidate.sha256(),
                        costs.of(candidate.sha256(), file),
                        size(file), maps.get(candidate.sha256()), "", gate.candidate().candidateChoice()));
            }
        });
        StringBuilder out = new StringBuilder("<div class=\"stages\">\n");
        for (int i = 0; i < cards.size(); i++) {
            if (i > 0) {
                out.append("<div class=\"arrow\">→</div>\n");
            }
            out.append(card(cards.get(i)));
        }
        out.append("</div>\n");
        return Html.section("pipeline", "Pipeline", sources.directory.getFileName() + "/pipeline.json",
                out.toString());
    }

    private Measured modelMap() {
        Measured measured = modelSha256 == null ? null : maps.get(modelSha256);
        if (measured == null && sources.prune.isPresent() && sources.prune.get().search() != null
                && modelSha256 != null && modelSha256.equals(sources.prune.get().modelSha256())) {
            return new Measured(sources.prune.get().search().baselineMap(), "prune search");
        }
        return measured;
    }

    private Measured stageMap(PipelineStage stage, StageOutput entry) {
        Measured measured = entry.sha256() == null ? null : maps.get(entry.sha256());
        if (measured == null && stage == PipelineStage.PRUNE && sources.prune.isPresent()) {
            ReportViews.Search search = sources.prune.get().search();
            if (search != null && search.chosenRatio() != null && search.curve() != null) {
                return search.curve().stream().filter(point -> point.ratio() == search.chosenRatio()).findFirst()
                        .map(point -> new Measured(point.map(), "prune search")).orElse(null);
            }
        }
        return measured;
    }

    private static String card(Card card) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("parameters", card.cost().map(cost -> Html.count(cost.parameters())).orElse(Html.UNKNOWN)));
        rows.add(List.of("MACs", card.cost().map(cost -> Html.giga(cost.macs())).orElse(Html.UNKNOWN)));
        rows.add(List.of("file", card.bytes() < 0 ? Html.UNKNOWN : Html.megabytes(card.bytes())));
        rows.add(List.of("mAP50-95", card.map() == null ? Html.UNKNOWN
                : Html.fraction(card.map().map()) + " <small>" + Html.text(card.map().source()) + "</small>"));
        rows.add(List.of("time", card.time().isEmpty() ? Html.UNKNOWN : card.time()));
        StringBuilder out = new StringBuilder("<div class=\"stage\"><h3>").append(Html.text(card.stage()))
                .append("</h3><div class=\"file\">").append(Html.text(card.file())).append("</div>");
        if (!card.note().isEmpty()) {
            out.append("<div class=\"note\">").append(Html.text(card.note())).append("</div>");
        }
        out.append("<dl>");
        for (List<String> row : rows) {
            out.append("<dt>").append(row.get(0)).append("</dt><dd>").append(row.get(1)).append("</dd>");
        }
        return out.append("</dl></div>\n").toString();
    }

    private static long size(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.size(file) : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
