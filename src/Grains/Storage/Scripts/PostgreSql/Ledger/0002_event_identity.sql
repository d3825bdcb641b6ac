-- Deduplication on the event identity alone. The partitioned ledger's key has to include
-- occurred_at, so it would take a resent event with a different occurred_at for a new one; this
-- unpartitioned table holds exactly (environment, request_id, attempt_index) once, and a gateway's
-- sequence numbers once, so that two activations of one gateway can never both write a sequence.
CREATE TABLE usage_event_identity (
    environment_id text    NOT NULL,
    request_id     text    NOT NULL,
    attempt_index  integer NOT NULL,
    dp_id          text    NOT NULL,
    seq            bigint  NOT NULL,
    PRIMARY KEY (environment_id, request_id, attempt_index),
    UNIQUE (environment_id, dp_id, seq)
);
