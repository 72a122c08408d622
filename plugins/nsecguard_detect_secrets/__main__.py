"""`python -m nsecguard_detect_secrets audit .secrets.baseline`: see audit.py."""

from nsecguard_detect_secrets.audit import main

raise SystemExit(main())
