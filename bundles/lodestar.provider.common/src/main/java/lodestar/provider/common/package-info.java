/**
 * Code shared by the HTTP provider bundles: the upstream exchange, the server-sent event reader,
 * the health probe, the failure mapping and the settings parsing. Not exported and never deployed
 * on its own: each provider bundle embeds this package privately ({@code -conditionalpackage}),
 * so the providers stay independent of each other at run time.
 */
package lodestar.provider.common;
