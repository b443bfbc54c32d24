/** The health monitor's implementation; private to the bundle. */
package lodestar.health.internal;
