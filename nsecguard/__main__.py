from nsecguard.cli import main

raise SystemExit(main())
