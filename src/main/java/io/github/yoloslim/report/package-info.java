/**
 * {@code report.html}: one self-contained page per build, rebuilt from the stage reports in the output directory
 * ({@code pipeline.json}, {@code prune-report.json}, {@code distill-report.json}, {@code calibration.json},
 * {@code engine-manifest.json}, {@code map-report.json}) each time a goal finishes, with JFreeChart plots inline
 * as SVG.
 */
package io.github.yoloslim.report;
