"""Create the Superset admin user, or set its password if it exists. Runs inside .superset-venv.

Reads the name and password from the environment (B24OPS_ADMIN_USER / B24OPS_ADMIN_PASSWORD), never from
argv, which any local user can read with `ps`. One process instead of `fab create-admin` plus
`fab reset-password`: each Superset start-up costs several seconds.
"""

import os

from superset.app import create_app

app = create_app()
with app.app_context():
    from superset import security_manager

    username = os.environ["B24OPS_ADMIN_USER"]
    password = os.environ["B24OPS_ADMIN_PASSWORD"]
    user = security_manager.find_user(username=username)
    if user is None:
        created = security_manager.add_user(
            username,
            "b24ops",
            "admin",
            f"{username}@localhost",
            security_manager.find_role("Admin"),
            password,
        )
        if not created:
            raise SystemExit(f"could not create the Superset user {username!r}")
    else:
        security_manager.reset_password(user.id, password)
