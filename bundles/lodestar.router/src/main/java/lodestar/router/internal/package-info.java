/** Implementation of the Lodestar router. Private: nothing here is exported. */
package lodestar.router.internal;
