<?php
// Rollguard's PHP linter: `php -l` semantics (compile, never execute) for many files in one long-lived process.
// Reads requests "<name> <length>\n<bytes>" on stdin and answers one line each on stdout:
// "<name>\tok" or "<name>\t<line>\t<message>". Runs inside the sandbox; files live in /scratch only while compiled.
//
// opcache_compile_file() compiles a file and caches it without executing it, as php -l does. Compiling many files in
// one process has one artefact: after compiling, opcache loads the file's functions into the process, so a function
// that an earlier file also declared fails with "Cannot redeclare" although the file itself is fine. So a compile
// error found here is checked again in a pristine process: a child forked at start-up, before anything was compiled,
// forks once per such file. A parse error or a clean compile needs no second look. Without opcache or pcntl, each file
// gets a `php -l` child instead (slower, same answers).

const SCRATCH = '/scratch/';

function compile_only(string $file): string {
    set_error_handler(fn() => true); // warnings and deprecations are not errors for php -l either
    error_clear_last();
    try {
        if (opcache_compile_file($file)) return 'ok';
        $e = error_get_last();
        return $e === null ? "0\tFatal error: the file cannot be compiled" : $e['line'] . "\tFatal error: " . $e['message'];
    } catch (ParseError $e) {
        return $e->getLine() . "\tParse error: " . $e->getMessage();
    } catch (Throwable $e) {
        return $e->getLine() . "\tFatal error: " . $e->getMessage();
    } finally {
        restore_error_handler();
    }
}

/** In a child of a process that never compiled anything: a clean slate for one file. */
function compile_forked(string $file): string {
    $pair = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
    $pid = pcntl_fork();
    if ($pid === -1) return "0\tFatal error: cannot fork the PHP compiler";
    if ($pid === 0) {
        fclose($pair[0]);
        fwrite($pair[1], compile_only($file));
        fclose($pair[1]);
        posix_kill(posix_getpid(), SIGKILL); // no shutdown work in the child
    }
    fclose($pair[1]);
    $out = stream_get_contents($pair[0]);
    fclose($pair[0]);
    pcntl_waitpid($pid, $status);
    return $out === '' ? "0\tFatal error: the PHP compiler crashed on this file" : $out;
}

function lint_child(string $file): string {
    $p = proc_open([PHP_BINARY, '-n', '-l', '-d', 'display_errors=1', '-d', 'log_errors=0', '-d', 'short_open_tag=0', $file],
        [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    if (!is_resource($p)) return "0\tFatal error: cannot start php -l";
    $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
    if (proc_close($p) === 0) return 'ok';
    if (preg_match('/(Parse error|Fatal error):\s*(.*?) in \S+ on line (\d+)/', $out, $m)) return $m[3] . "\t" . $m[1] . ': ' . $m[2];
    return "0\t" . trim($out);
}

/** The pristine process: answers "path\n" with a result line, compiling each file in a fresh fork. */
function start_pristine() {
    $pair = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
    $pid = pcntl_fork();
    if ($pid === -1) return null;
    if ($pid === 0) {
        fclose($pair[0]);
        while (($path = fgets($pair[1])) !== false) {
            fwrite($pair[1], str_replace(["\r", "\n"], ' ', compile_forked(rtrim($path, "\n"))) . "\n");
        }
        exit(0);
    }
    fclose($pair[1]);
    return $pair[0];
}

$opcache = function_exists('opcache_compile_file') && function_exists('pcntl_fork') && ini_get('opcache.enable_cli');
$pristine = $opcache ? start_pristine() : null;
while (($head = fgets(STDIN)) !== false) {
    $parts = explode(' ', trim($head));
    if (count($parts) !== 2 || !preg_match('/^[0-9a-f]{16,64}$/', $parts[0])) exit(2);
    [$name, $length] = [$parts[0], (int) $parts[1]];
    $code = '';
    while (strlen($code) < $length) {
        $chunk = fread(STDIN, $length - strlen($code));
        if ($chunk === false || $chunk === '') exit(3);
        $code .= $chunk;
    }
    $file = SCRATCH . $name . '.php';
    file_put_contents($file, $code);
    if ($pristine === null) {
        $result = lint_child($file);
    } else {
        $result = compile_only($file);
        if (str_contains($result, "\tFatal error: ")) {
            fwrite($pristine, $file . "\n");
            $result = rtrim(fgets($pristine), "\n");
        }
    }
    @unlink($file);
    echo $name, "\t", str_replace(["\r", "\n"], ' ', $result), "\n";
    fflush(STDOUT);
    // a full cache would make opcache compile without caching, where the artefact above stops the compile early: start afresh
    if ($pristine !== null && (opcache_get_status(false)['cache_full'] ?? false)) exit(0);
}
