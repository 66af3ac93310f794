package io.github.yoloslim.mojo;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * One configuration vocabulary across the goals, read from the plugin descriptor Maven uses: a plugin-level
 * {@code <configuration>} sends one value to every goal, so a name must mean the same everywhere (same property,
 * default and type), and a property must set one name only.
 */
class ParameterVocabularyTest {

    private record Parameter(String goal, String name, String type, String property, String defaultValue,
            String description) {
    }

    private static final List<Parameter> PARAMETERS = new ArrayList<>();

    @BeforeAll
    static void readDescriptor() throws Exception {
        Path descriptor = Path.of("target/classes/META-INF/maven/plugin.xml");
        assumeThat(descriptor).as("the plugin descriptor (written at process-classes)").exists();
        Document document;
        try (var in = Files.newInputStream(descriptor)) {
            document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
        }
        NodeList mojos = document.getElementsByTagName("mojo");
        for (int m = 0; m < mojos.getLength(); m++) {
            Element mojo = (Element) mojos.item(m);
            String goal = text(mojo, "goal");
            if (goal.equals("help")) {
                continue;
            }
            Map<String, Element> configuration = new HashMap<>();
            Element config = child(mojo, "configuration");
            if (config != null) {
                NodeList entries = config.getChildNodes();
                for (int i = 0; i < entries.getLength(); i++) {
                    if (entries.item(i) instanceof Element entry) {
                        configuration.put(entry.getTagName(), entry);
                    }
                }
            }
            NodeList parameters = child(mojo, "parameters").getElementsByTagName("parameter");
            for (int i = 0; i < parameters.getLength(); i++) {
                Element parameter = (Element) parameters.item(i);
                if (text(parameter, "editable").equals("false")) {
                    continue;
                }
                String name = text(parameter, "name");
                Element entry = configuration.get(name);
                PARAMETERS.add(new Parameter(goal, name, text(parameter, "type"),
                        entry == null ? null : entry.getTextContent(),
                        entry == null || !entry.hasAttribute("default-value") ? null
                                : entry.getAttribute("default-value"),
                        text(parameter, "description")));
            }
        }
    }

    @Test
    void everyParameterHasANamespacedPropertyADescriptionAndADefault() {
        assertThat(PARAMETERS).hasSizeGreaterThan(40);
        for (Parameter parameter : PARAMETERS) {
            assertThat(parameter.property()).as("%s %s", parameter.goal(), parameter.name()).startsWith("${yoloslim.");
            assertThat(parameter.description()).as("%s %s", parameter.goal(), parameter.name()).isNotBlank();
            if (!parameter.type().startsWith("java.util.List")) {
                assertThat(parameter.defaultValue()).as("%s %s", parameter.goal(), parameter.name()).isNotNull();
            }
        }
    }

    @Test
    void aNameMeansOneThingInEveryGoal() {
        Map<String, List<Parameter>> byName = new TreeMap<>();
        PARAMETERS.forEach(p -> byName.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(p));
        for (List<Parameter> uses : byName.values()) {
            Parameter first = uses.get(0);
            for (Parameter other : uses) {
                assertThat(List.of(other.property(), String.valueOf(other.defaultValue()), other.type()))
                        .as("%s in %s and %s", first.name(), first.goal(), other.goal())
                        .isEqualTo(List.of(first.property(), String.valueOf(first.defaultValue()), first.type()));
            }
        }
        // The goals share these; each is declared once or kept identical by this test.
        assertThat(byName.get("maxEvaluationImages")).extracting(Parameter::goal).containsOnly("prune", "verify-map");
        assertThat(byName.get("calibrationImages")).extracting(Parameter::goal).containsOnly("sparsify", "prune", "distill",
                "calibrate");
        assertThat(byName.get("onUnreadableImage")).extracting(Parameter::goal)
                .containsOnly("sparsify", "prune", "distill", "calibrate", "verify-map");
    }

    @Test
    void aPropertySetsOneNameOnly() {
        Map<String, TreeSet<String>> names = new TreeMap<>();
        PARAMETERS.forEach(p -> names.computeIfAbsent(p.property(), k -> new TreeSet<>()).add(p.name()));
        names.forEach((property, named) -> assertThat(named).as(property).hasSize(1));
    }

    private static Element child(Element parent, String tag) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element element && element.getTagName().equals(tag)) {
                return element;
            }
        }
        return null;
    }

    private static String text(Element parent, String tag) {
        Element element = child(parent, tag);
        return element == null ? "" : element.getTextContent().trim();
    }
}
