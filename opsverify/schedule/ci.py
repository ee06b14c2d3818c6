"""GitHub Actions and GitLab CI definitions of an environment's calendar, the archive kept on a git branch."""

from __future__ import annotations

from pathlib import Path

from opsverify.spec import Environment

BRANCH = "opsverify-archive"
_RESTORE = f"""git fetch --depth=1 origin {BRANCH} && git worktree add reports FETCH_HEAD \\
            || (git worktree add --detach reports && git -C reports checkout --orphan {BRANCH} \\
                && git -C reports rm -rfq . )"""
_KEEP = f"""cd reports && git add -A && git -c user.name=opsverify -c user.email=opsverify@localhost \\
            commit -qm "opsverify: $JOBS" && git push origin HEAD:{BRANCH} || echo "nothing to archive\""""


def _relative(path: Path, project: Path) -> str:
    """The environment file as the repository names it."""
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _case(triggers: dict[str, list[str]], variable: str) -> str:
    """A shell `case` from the cron expression that fired to the jobs it starts."""
    arms = "".join(f'            "{cron}") JOBS="{" ".join(names)}" ;;\n' for cron, names in triggers.items())
    return f'          case "{variable}" in\n{arms}            *) JOBS="" ;;\n          esac'


def github(env: Environment, env_path: Path, triggers: dict[str, list[str]], secrets: list[str],
           project: Path) -> str:
    """`.github/workflows/opsverify-<env>.yml`."""
    zone = env.schedule.timezone
    crons = "".join(f'    - cron: "{cron}"   # {", ".join(names)}\n      timezone: {zone}\n'
                    for cron, names in triggers.items())
    frequent = any(name.split(":")[0] in ("daily", "weekly") for names in triggers.values() for name in names)
    keepalive = "" if frequent else (
        '    - cron: "17 6 * * 1"   # keepalive: a weekly commit to the archive branch keeps the schedule enabled\n'
        f"      timezone: {zone}\n")
    env_lines = "".join(f"          {name}: ${{{{ secrets.{name} }}}}\n" for name in secrets)
    where = _relative(env_path, project)
    return f"""# --- .github/workflows/opsverify-{env.environment}.yml
# Scheduled workflows of a public repository are disabled after 60 days without repository activity,
# which is shorter than a quarter. Every run here commits the archive to the branch {BRANCH}, which is
# activity; a workflow with only monthly or quarterly jobs also gets a weekly keepalive commit.
name: opsverify {env.environment}
on:
  schedule:
{crons}{keepalive}  workflow_dispatch:
    inputs:
      job: {{description: "a job to run now: daily, weekly, monthly, quarterly (or NAME:window)", required: true}}
concurrency:
  group: opsverify-{env.environment}   # never two runs of one environment at once
  cancel-in-progress: false
permissions:
  contents: write   # to push the archive branch
jobs:
  checklist:
    runs-on: ubuntu-latest
    timeout-minutes: 360
    steps:
      - uses: actions/checkout@v4
      - name: Restore the archive from the branch {BRANCH}
        run: |
          {_RESTORE}
      - uses: actions/setup-python@v5
        with: {{python-version: "3.12"}}
      - run: python -m venv .venv && .venv/bin/pip install -q -e .
      - name: Run what is due
        env:
{env_lines}          OPSV_ARCHIVE_KEY: ${{{{ secrets.OPSV_ARCHIVE_KEY }}}}
        run: |
{_case(triggers, "${{ github.event.schedule }}")}
          echo "JOBS=${{JOBS:-${{{{ inputs.job }}}}}}" >> "$GITHUB_ENV"
          failed=0
          if [ "${{{{ github.event_name }}}}" = workflow_dispatch ]; then
            .venv/bin/opsverify schedule --env {where} --reports reports --run "${{{{ inputs.job }}}}" || failed=1
          else
            for job in $JOBS; do   # --if-due: opsverify's calendar keeps only the right day ("first monday")
              .venv/bin/opsverify schedule --env {where} --reports reports --run "$job" --if-due || failed=1
            done
          fi
          {{ date -u +"status at %Y-%m-%dT%H:%MZ"; .venv/bin/opsverify status --env {where} --reports reports; }} > reports/STATUS.txt || true
          exit $failed
      - name: Keep the archive on the branch {BRANCH}
        if: always()
        run: |
          {_KEEP}
"""


def gitlab(env: Environment, env_path: Path, triggers: dict[str, list[str]], secrets: list[str],
           project: Path) -> str:
    """A `.gitlab-ci.yml` job and the pipeline schedules (with their time zone) to create once."""
    zone = env.schedule.timezone
    schedules = "".join(
        f'#   cron "{cron}", cron_timezone "{zone}", variable OPSV_JOBS="{" ".join(names)}"\n'
        for cron, names in triggers.items())
    first_cron, first_jobs = next(iter(triggers.items()))
    variables = ", ".join(secrets) or "none"
    return f"""# --- .gitlab-ci.yml (add this job). Then create one pipeline schedule per line below, under
# Build > Pipeline schedules (or with the API, e.g. for the first one):
{schedules}#   curl -X POST -H "PRIVATE-TOKEN: $TOKEN" -F ref=main -F description="opsverify {" ".join(first_jobs)}" \\
#        -F cron="{first_cron}" -F cron_timezone="{zone}" "$CI_API_V4_URL/projects/$CI_PROJECT_ID/pipeline_schedules"
#   then add the variable OPSV_JOBS to it (POST .../pipeline_schedules/ID/variables -F key=OPSV_JOBS -F value=...).
# CI/CD variables the environment file reads: {variables}; OPSV_PUSH_TOKEN (a project access token
# with write_repository) lets the job keep the archive on the branch {BRANCH}.
opsverify-{env.environment}:
  image: python:3.12
  resource_group: opsverify-{env.environment}   # never two runs of one environment at once
  timeout: 6h
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule" && $OPSV_JOBS
  script:
    - git remote set-url origin "https://oauth2:${{OPSV_PUSH_TOKEN}}@${{CI_SERVER_HOST}}/${{CI_PROJECT_PATH}}.git"
    - |
      {_RESTORE}
    - python -m venv .venv && .venv/bin/pip install -q -e .
    - |
      failed=0
      for job in $OPSV_JOBS; do   # --if-due: opsverify's calendar keeps only the right day ("first monday")
        .venv/bin/opsverify schedule --env {_relative(env_path, project)} --reports reports --run "$job" --if-due || failed=1
      done
      exit $failed
  after_script:
    - |
      JOBS="$OPSV_JOBS"; {_KEEP}
  artifacts:
    when: always
    paths: [reports/]
    expire_in: 1 year
"""
