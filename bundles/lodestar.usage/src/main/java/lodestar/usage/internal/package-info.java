/** Usage tracking's implementation; private to the bundle. */
package lodestar.usage.internal;
