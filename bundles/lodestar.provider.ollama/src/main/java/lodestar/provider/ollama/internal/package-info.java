/**
 * Implementation of the Ollama provider bundle. Private: nothing here is exported.
 */
package lodestar.provider.ollama.internal;
