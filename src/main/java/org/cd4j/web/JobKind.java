package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One type of background job. Adding a job type is one class implementing this, registered in
 * {@link WebServer}: {@link #prepare} turns a request into checked parameters (refusing bad input
 * with a 400 before anything is queued), {@link #run} does the work on the job's lane.
 */
public interface JobKind {
    /** The type name used in the API ({@code POST /api/jobs/<type>}) and in job.json. */
    String type();

    /**
     * The lane the job runs on. Lanes run one job at a time each: {@link JobQueue#MAIN} for
     * training and other long work, {@link JobQueue#GENERATE} for image generation so that a
     * picture can be made while a training runs.
     */
    default String lane() {
        return JobQueue.MAIN;
    }

    /**
     * Checks a request and returns the parameters the job will run with.
     *
     * @throws ApiException when the request is wrong (the message says which field and why)
     */
    ObjectNode prepare(JsonNode request, Services services);

    /** A short human title for job lists. */
    String title(ObjectNode params);

    /**
     * Does the work. Returns the result shown with the finished job; throws
     * {@link JobContext.Stopped} when it stopped early on request (cancel or server shutdown).
     */
    JsonNode run(JobContext ctx) throws Exception;

    /** Whether a cancelled or failed job of this type can continue where it stopped. */
    default boolean resumable() {
        return false;
    }
}
