/**
 * The Maven goals: each turns its parameters into an immutable request, makes one call into the core and maps
 * the result to the build (failures for the user's model, data or configuration; errors for infrastructure).
 */
package io.github.yoloslim.mojo;
