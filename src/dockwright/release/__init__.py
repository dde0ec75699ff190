"""Releasing: versions and their bumps (`versions`), the tags a version gets (`tags`),
the changelog entry (`changelog`), the plan and its run (`plan`), and an attempt that
resumes after a failure (`attempt`)."""
