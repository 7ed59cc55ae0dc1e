-- A dashboard session belongs to the token it signed in with: revoking that token ends the session. Sessions from
-- before this column cannot say which token they came from, so they end (people sign in again).
ALTER TABLE sessions ADD COLUMN token_id VARCHAR(36);
DELETE FROM sessions;

-- An enrolment token without a host registers at most max_hosts hosts; hosts remember the token that registered them.
ALTER TABLE tokens ADD COLUMN max_hosts INTEGER;
ALTER TABLE hosts ADD COLUMN enrolled_by VARCHAR(36);

-- A version and its audit record commit together: audit_seq is the record's number. 0 marks versions stored before
-- this column (their records were written separately and are not linked).
ALTER TABLE versions ADD COLUMN audit_seq BIGINT;
UPDATE versions SET audit_seq = 0;
