from services.common.serve import main
from services.financing.app import MIGRATIONS, create_financing_app
from services.financing.settings import FinancingSettings

main(settings_factory=FinancingSettings, app_factory=create_financing_app, migrations_dir=MIGRATIONS)  # type: ignore[arg-type]
