/** Content fingerprints, atomic writes and the {@code pipeline.json} record that links the goals' outputs. */
package io.github.yoloslim.cache;
