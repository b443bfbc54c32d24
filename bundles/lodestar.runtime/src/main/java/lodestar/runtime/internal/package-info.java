/**
 * Implementation of the Lodestar runtime bundle. Private: nothing here is exported.
 */
package lodestar.runtime.internal;
