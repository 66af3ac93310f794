/** INT8 calibration: streaming activation statistics and range estimators (entropy, min-max, percentile, MSE). */
package io.github.yoloslim.calibrate;
