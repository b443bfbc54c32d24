/** The dashboard's asset servlet; private to the bundle. */
package lodestar.dashboard.internal;
