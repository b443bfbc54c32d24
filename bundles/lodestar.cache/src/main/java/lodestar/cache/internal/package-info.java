/** The response cache's implementation; private to the bundle. */
package lodestar.cache.internal;
