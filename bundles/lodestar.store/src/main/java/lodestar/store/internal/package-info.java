/** The shared database's implementation; private to the bundle. */
package lodestar.store.internal;
