package io.github.yoloslim.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.AbstractCategoryItemRenderer;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Rectangle;
import java.awt.Shape;
import java.util.List;
import java.util.Map;

/**
 * The page's plots: JFreeChart charts drawn into SVG by JFreeSVG, one {@code <svg>} element each. Values below 0
 * (COCO's -1 for "no ground truth") are left out. Ids inside each SVG are numbered per section, so the same reports
 * give the same page.
 */
final class Charts {

    static final int WIDTH = 900;

    /** Colour-blind-safe series colours (Tableau 10), in series order. */
    private static final Color[] PALETTE = {new Color(0x4E79A7), new Color(0xF28E2B), new Color(0x59A14F),
            new Color(0xE15759), new Color(0x76B7B2), new Color(0xB07AA1), new Color(0xEDC948), new Color(0x9C755F)};
    private static final Color GRID = new Color(0xDDDDDD);
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final int ROW = 14;
    private static final Shape[] SHAPES = DefaultDrawingSupplier.createStandardSeriesShapes();

    private final String idPrefix;
    private int count;

    /** Charts whose SVG ids start with {@code idPrefix}, so that sections drawn at different times never collide. */
    Charts(String idPrefix) {
        this.idPrefix = idPrefix;
    }

    /**
     * Horizontal bars, one row per category, one bar (or, stacked, one segment) per series.
     *
     * @param series values by series name, each in category order
     * @param upper the value axis's upper end; NaN fits the data
     */
    String horizontalBars(String title, String valueLabel, List<String> categories, Map<String, double[]> series,
            boolean stacked, double upper) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        series.forEach((name, values) -> {
            for (int i = 0; i < categories.size(); i++) {
                dataset.addValue(values[i] >= 0 ? values[i] : null, name, categories.get(i));
            }
        });
        BarRenderer renderer = stacked ? new StackedBarRenderer() : new BarRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setDrawBarOutline(false);
        renderer.setItemMargin(0);
        NumberAxis values = new NumberAxis(valueLabel);
        if (!Double.isNaN(upper)) {
            values.setRange(0, upper);
        }
        CategoryPlot plot = new CategoryPlot(dataset, categoryAxis(), values, renderer);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setRangeAxisLocation(AxisLocation.TOP_OR_LEFT);
        colour(renderer, series.size());
        int rows = stacked ? 1 : series.size();
        return svg(chart(title, plot, series.size() > 1), WIDTH, 110 + categories.size() * Math.max(ROW, rows * 8));
    }

    /** The axes of a line chart. */
    enum Axes {
        /** Recall and precision, both 0 to 1. */
        PRECISION_RECALL,
        /** A ratio against a value that fits the data. */
        FITTED,
        /** Whole epochs against a value from 0. */
        EPOCHS
    }

    /**
     * Lines through points (marked, except on precision–recall curves); a point whose y is below 0 is missing.
     *
     * @param series by name, {@code {x[], y[]}}
     */
    String lines(String title, String xLabel, String yLabel, Map<String, double[][]> series, Axes axes, int width,
            int height) {
        XYSeriesCollection dataset = new XYSeriesCollection();
        series.forEach((name, xy) -> {
            XYSeries line = new XYSeries(name, false, true);
            for (int i = 0; i < xy[0].length; i++) {
                if (xy[1][i] >= 0) {
                    line.add(xy[0][i], xy[1][i]);
                }
            }
            dataset.addSeries(line);
        });
        NumberAxis x = new NumberAxis(xLabel);
        NumberAxis y = new NumberAxis(yLabel);
        x.setAutoRangeIncludesZero(false);
        switch (axes) {
            case PRECISION_RECALL -> {
                x.setRange(0, 1);
                y.setRange(0, 1.02);
            }
            case FITTED -> {
                y.setAutoRangeIncludesZero(false);
                y.setAutoRangeMinimumSize(0.01);
            }
            case EPOCHS -> {
                x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
                y.setAutoRangeIncludesZero(true);
            }
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, axes != Axes.PRECISION_RECALL);
        for (int i = 0; i < series.size(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(dataset, x, y, renderer);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setBackgroundPaint(Color.WHITE);
        return svg(chart(title, plot, series.size() > 1), width, height);
    }

    /**
     * Two dot plots side by side over the same rows: {@code left} on a log axis (ranges), {@code right} on a
     * linear one (fractions), one marker shape and colour per series.
     */
    String dotsSideBySide(String title, List<String> categories, String leftLabel, Map<String, double[]> left,
            String rightLabel, Map<String, double[]> right) {
        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(categoryAxis());
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        LogarithmicAxis log = new LogarithmicAxis(leftLabel);
        log.setStrictValuesFlag(false);
        plot.add(dotPlot(categories, left, log, 0, true), 3);
        // The right plot's series are the left's last ones: the same colours, and no second legend entry.
        plot.add(dotPlot(categories, right, new NumberAxis(rightLabel), left.size() - right.size(), false), 2);
        plot.setGap(12);
        return svg(chart(title, plot, true), WIDTH, 130 + categories.size() * ROW);
    }

    private CategoryPlot dotPlot(List<String> categories, Map<String, double[]> series, ValueAxis axis,
            int firstColour, boolean inLegend) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        series.forEach((name, values) -> {
            for (int i = 0; i < categories.size(); i++) {
                dataset.addValue(values[i] >= 0 ? values[i] : null, name, categories.get(i));
            }
        });
        LineAndShapeRenderer renderer = new LineAndShapeRenderer(false, true);
        for (int i = 0; i < series.size(); i++) {
            renderer.setSeriesPaint(i, PALETTE[(firstColour + i) % PALETTE.length]);
            renderer.setSeriesShape(i, SHAPES[(firstColour + i) % SHAPES.length]);
            renderer.setSeriesVisibleInLegend(i, inLegend);
        }
        CategoryPlot plot = new CategoryPlot(dataset, null, axis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(GRID);
        plot.setDomainGridlinesVisible(true);
        plot.setDomainGridlinePaint(GRID);
        return plot;
    }

    private static void colour(AbstractCategoryItemRenderer renderer, int series) {
        for (int i = 0; i < series; i++) {
            Paint paint = PALETTE[i % PALETTE.length];
            renderer.setSeriesPaint(i, paint);
        }
    }

    private static CategoryAxis categoryAxis() {
        CategoryAxis axis = new CategoryAxis();
        axis.setTickLabelFont(LABEL);
        axis.setMaximumCategoryLabelWidthRatio(0.35f);
        axis.setCategoryMargin(0.15);
        axis.setLowerMargin(0.01);
        axis.setUpperMargin(0.01);
        return axis;
    }

    private static void bound(NumberAxis axis, double low, double high) {
        if (!Double.isNaN(low) && !Double.isNaN(high)) {
            axis.setRange(low, high);
        } else if (!Double.isNaN(low)) {
            axis.setLowerBound(low);
        } else if (!Double.isNaN(high)) {
            axis.setUpperBound(high);
        }
    }

    private static JFreeChart chart(String title, Plot plot, boolean legend) {
        if (plot instanceof CategoryPlot category) {
            category.setBackgroundPaint(Color.WHITE);
            category.setRangeGridlinePaint(GRID);
        }
        JFreeChart chart = new JFreeChart(title, TITLE, plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(4, 4, 4, 12));
        TextTitle text = chart.getTitle();
        text.setPaint(new Color(0x222222));
        LegendTitle legendTitle = chart.getLegend();
        if (legendTitle != null) {
            legendTitle.setFrame(BlockBorder.NONE);
            legendTitle.setItemFont(LABEL);
        }
        return chart;
    }

    /** The chart as one {@code <svg>} element that scales to the page's width. */
    private String svg(JFreeChart chart, int width, int height) {
        String id = idPrefix + "-chart" + (++count);
        SVGGraphics2D g2 = new SVGGraphics2D(width, height);
        g2.setDefsKeyPrefix(id + "-");
        chart.draw(g2, new Rectangle(width, height));
        return g2.getSVGElement(id, true, new ViewBox(0, 0, width, height), null, null);
    }
}
