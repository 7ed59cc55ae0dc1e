-- Where a version came from when it was pushed from a Git work tree or commit: the commit, its author and message,
-- and whether the pushed files differed from that commit (uncommitted changes). NULL commit: not from Git.
ALTER TABLE versions ADD COLUMN git_commit VARCHAR(64);
ALTER TABLE versions ADD COLUMN git_author VARCHAR(200);
ALTER TABLE versions ADD COLUMN git_email VARCHAR(320);
ALTER TABLE versions ADD COLUMN git_message TEXT;
ALTER TABLE versions ADD COLUMN git_dirty BOOLEAN;
