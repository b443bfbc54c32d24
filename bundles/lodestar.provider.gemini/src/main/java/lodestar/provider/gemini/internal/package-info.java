/**
 * Implementation of the Gemini model provider. Private: nothing here is exported.
 */
package lodestar.provider.gemini.internal;
