/**
 * The learned {@code auto} routing strategy: prompt features, the logistic-regression router, its
 * versioned model artifact, offline training and evaluation, and the Gogo commands. Private: the
 * bundle exports nothing.
 */
package lodestar.routing.auto.internal;
