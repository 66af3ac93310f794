/**
 * The mAP gate behind {@code verify-map}: evaluates a baseline and a candidate model on one dataset, caches
 * evaluations by content hash, compares them against the configured tolerance and writes the report.
 */
package io.github.yoloslim.gate;
