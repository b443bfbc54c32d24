/** The learning loop's implementation; private to the bundle (nothing is exported). */
package lodestar.learning.internal;
