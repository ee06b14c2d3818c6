"""Reading `php artisan config:cache` output (PHP's var_export) as data, never as code."""

from __future__ import annotations

import re

import pytest

from opsverify.checks.apps.phpconfig import NotPhpConfig, dig, literal, parse

CACHED = r"""<?php return array (
  'app' => 
  array (
    'name' => 'Print \'Shop\'',
    'debug' => false,
    'timezone' => 'UTC',
    'providers' => 
    array (
      0 => 'Illuminate\\Auth\\AuthServiceProvider',
    ),
  ),
  'queue' => 
  array (
    'retry_after' => 90,
    'backoff' => 1.5E-5,
    'block_for' => NULL,
  ),
  'features' => 
  array (
    'state' => \App\Support\Flags::__set_state(array(
       'on' => true,
    )),
    'level' => \App\Enums\Level::Debug,
    'extra' => (object) array(
       'x' => -1,
    ),
  ),
);
"""


def test_a_config_cache_reads_as_nested_mappings() -> None:
    config = parse(CACHED)
    assert config["app"] == {"name": "Print 'Shop'", "debug": False, "timezone": "UTC",
                             "providers": {0: "Illuminate\\Auth\\AuthServiceProvider"}}
    assert config["queue"] == {"retry_after": 90, "backoff": 1.5e-5, "block_for": None}
    assert config["features"] == {"state": "\\App\\Support\\Flags", "level": "\\App\\Enums\\Level::Debug",
                                  "extra": {"x": -1}}
    assert dig(config, "app", "debug") is False and dig(config, "app", "name", "x") is None


@pytest.mark.parametrize(("text", "words"), [
    ("return array ();", "does not start with <?php"),
    ("<?php echo 'hi';", "does not `return` an array"),
    ("<?php return array ('a' => system('id'));", "unexpected \"system('id'));\""),
    ("<?php return array ('a' => 1,", "unexpected 'the end of the file'"),
])
def test_anything_but_literals_is_refused(text: str, words: str) -> None:
    with pytest.raises(NotPhpConfig, match=re.escape(words)):
        parse(text)


def test_values_are_written_back_as_php_writes_them() -> None:
    assert [literal(v) for v in (True, False, None, "it's", 3)] == ["true", "false", "NULL", "'it\\'s'", "3"]
