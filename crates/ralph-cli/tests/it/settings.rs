//! Settings precedence and usage errors.

use crate::{Sandbox, assert_code, stderr, stdout};

fn listed_dir(out: &std::process::Output) -> String {
    let line = stdout(out);
    let path = std::path::Path::new(line.lines().next().expect("one file listed"));
    path.parent()
        .expect("parent")
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn flag_beats_env_which_beats_the_config_file() {
    let sb = Sandbox::fresh();
    for dir in ["from-file", "from-env", "from-flag"] {
        std::fs::create_dir_all(sb.path(dir)).expect("mkdir");
        std::fs::write(sb.path(&format!("{dir}/marker")), "x").expect("marker");
    }
    std::fs::create_dir_all(sb.path("app")).expect("app dir");
    std::fs::write(
        sb.path("app/ralph.toml"),
        format!(
            "[backends.data.fs]\ndefault_directory_path = \"{}\"\n",
            sb.path("from-file").display()
        ),
    )
    .expect("toml");
    let out = sb.run(&["list", "-b", "fs"], b"");
    assert_eq!(listed_dir(&out), "from-file");

    let env = "RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH";
    let out = crate::run_with(
        sb.ralph()
            .env(env, sb.path("from-env"))
            .args(["list", "-b", "fs"]),
        b"",
    );
    assert_eq!(listed_dir(&out), "from-env");

    let flag = sb.path("from-flag");
    let out = crate::run_with(
        sb.ralph()
            .env(env, sb.path("from-env"))
            .args(["list", "-b", "fs", "--fs-default-directory-path"])
            .arg(&flag),
        b"",
    );
    assert_eq!(listed_dir(&out), "from-flag");
}

#[test]
fn an_explicit_config_file_is_read_and_must_exist() {
    let sb = Sandbox::fresh();
    std::fs::create_dir_all(sb.path("d")).expect("mkdir");
    std::fs::write(sb.path("d/marker"), "x").expect("marker");
    std::fs::write(
        sb.path("mine.toml"),
        format!(
            "[backends.data.fs]\ndefault_directory_path = \"{}\"\n",
            sb.path("d").display()
        ),
    )
    .expect("toml");
    let out = sb.run(&["--config", "mine.toml", "list", "-b", "fs"], b"");
    assert_code(&out, 0);
    assert_eq!(listed_dir(&out), "d");
    let out = sb.run(&["--config", "missing.toml", "list", "-b", "fs"], b"");
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("missing.toml` does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_backend_unknown_setting_and_wrong_type_exit_2_naming_them() {
    let sb = Sandbox::fresh();
    let out = sb.run(&["read", "-b", "nope"], b"");
    assert_code(&out, 2);
    let values = stderr(&out)
        .split("possible values: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .map(str::to_owned)
        .unwrap_or_default();
    for backend in [
        "es", "async_es", "fs", "memory", "postgres", "redis", "sqlite",
    ] {
        assert!(
            values.split(", ").any(|v| v == backend),
            "`{backend}` among the possible values: {}",
            stderr(&out)
        );
    }

    // The statement stores, with Ralph 5.1's names for two of them.
    let out = sb.run(&["runserver", "-b", "nope"], b"");
    assert_code(&out, 2);
    for store in ["es", "async_es", "mongo", "async_mongo", "sqlite", "fs"] {
        assert!(
            stderr(&out).contains(&format!(" {store},"))
                || stderr(&out).contains(&format!(" {store}]")),
            "`{store}` among the possible values: {}",
            stderr(&out)
        );
    }

    let out = crate::run_with(
        sb.ralph()
            .env("RALPH_BACKENDS__DATA__FS__NOPE", "1")
            .args(["list", "-b", "fs"]),
        b"",
    );
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("unknown setting `backends.data.fs.nope`"),
        "{err}"
    );
    assert!(err.contains("`default_directory_path`"), "{err}");

    let out = crate::run_with(
        sb.ralph()
            .env("RALPH_BACKENDS__DATA__FS__READ_CHUNK_SIZE", "big")
            .args(["list", "-b", "fs"]),
        b"",
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("backends.data.fs.read_chunk_size"),
        "{}",
        stderr(&out)
    );

    let out = sb.run(&["list", "-b", "fs", "--fs-read-chunk-size", "big"], b"");
    assert_code(&out, 2);
}

#[test]
fn numeric_looking_strings_stay_strings() {
    let sb = Sandbox::fresh();
    std::fs::create_dir_all(sb.path("123")).expect("mkdir");
    std::fs::write(sb.path("123/f"), "{}\n").expect("file");
    let out = crate::run_with(
        sb.ralph()
            .env("RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH", "123")
            .args(["read", "-b", "fs", "f"]),
        b"",
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "{}\n");
}

#[test]
fn every_backend_setting_has_a_flag_with_its_description() {
    let sb = Sandbox::fresh();
    let help = stdout(&sb.run(&["read", "--help"], b""));
    assert!(
        help.contains("--fs-default-directory-path <PATH>"),
        "{help}"
    );
    assert!(help.contains("Directory holding the files"), "{help}");
    assert!(
        help.contains("--memory-write-chunk-size <INTEGER>"),
        "{help}"
    );
}

#[test]
fn completions_cover_backend_flags() {
    let sb = Sandbox::fresh();
    let out = sb.run(&["completions", "bash"], b"");
    assert_code(&out, 0);
    assert!(stdout(&out).contains("--fs-default-directory-path"));
}
