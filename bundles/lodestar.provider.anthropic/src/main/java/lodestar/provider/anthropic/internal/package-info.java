/**
 * Implementation of the Anthropic Messages model provider. Private: nothing here is exported.
 */
package lodestar.provider.anthropic.internal;
