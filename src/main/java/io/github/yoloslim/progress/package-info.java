/** The listener through which the core reports progress; the Maven adapter maps it to the build log. */
package io.github.yoloslim.progress;
