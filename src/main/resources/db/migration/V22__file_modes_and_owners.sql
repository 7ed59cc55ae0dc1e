-- Modes and owners of a version's files and directories, kept with the version like its contents: a mode change is a new
-- version, diffed and promoted as any other. Only paths that have any are stored (a directory is a path with no
-- version_files row); NULL: as the agent creates it. Versions from before have no rows and are delivered as they were.
CREATE TABLE version_meta (
    service  VARCHAR(100)  NOT NULL,
    number   INTEGER       NOT NULL,
    path     VARCHAR(1024) NOT NULL,
    mode     INTEGER,
    owner    VARCHAR(64),
    grp      VARCHAR(64),
    PRIMARY KEY (service, number, path),
    FOREIGN KEY (service, number) REFERENCES versions (service, number)
);
