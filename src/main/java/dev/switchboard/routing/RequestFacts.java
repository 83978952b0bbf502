package dev.switchboard.routing;

/**
 * What the planner needs to know of a request.
 *
 * @param bodyBytes the request body's size, the basis of the prompt estimate
 * @param maxOutputTokens the request's {@code max_tokens} / {@code max_completion_tokens}, or null
 */
public record RequestFacts(String alias, long bodyBytes, Long maxOutputTokens) {}
