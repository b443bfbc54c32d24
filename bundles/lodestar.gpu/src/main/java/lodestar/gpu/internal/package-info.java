/**
 * Implementation of the GPU probe bundle. Private: nothing here is exported.
 */
package lodestar.gpu.internal;
