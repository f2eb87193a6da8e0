from services.common.serve import main
from services.registry.app import MIGRATIONS, create_registry_app
from services.registry.settings import RegistrySettings

main(settings_factory=RegistrySettings, app_factory=create_registry_app, migrations_dir=MIGRATIONS)  # type: ignore[arg-type]
