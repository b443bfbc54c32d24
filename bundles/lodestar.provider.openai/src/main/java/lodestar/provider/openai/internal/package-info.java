/**
 * Implementation of the OpenAI-compatible model provider. Private: nothing here is exported.
 */
package lodestar.provider.openai.internal;
